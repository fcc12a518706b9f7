from purchasing.bootstrap import main

main()
